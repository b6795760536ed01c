"""Who is acting (`Actor`) and what they may do to which party (`authorize`)."""
