"""/admins: who is an admin; grant and revoke (database grants only), each after a confirmation."""
