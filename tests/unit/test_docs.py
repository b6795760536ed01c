"""The project's own documentation: README.md and docs/*.md.

- every relative link resolves to a file (or folder) in the repository;
- nothing points outside the repository: no machine path (the workspace root), no sibling folder
  of the repository, no http(s) URL except
  localhost, 127.0.0.1, t.me and the example domains (RFC 2606 / RFC 6761);
- the webhook signature snippets of docs/partner-api.md (Python and Node) accept a body signed by
  `core.notifications.service.sign` and refuse a wrong secret, a changed body and an old timestamp.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXPECTED_DOCS = {"getting-started.md", "partner-api.md", "bot.md", "operating.md", "architecture.md"}

# [text](target) and [text]: target reference definitions; images too.
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
URL = re.compile(r"\bhttps?://[^\s)\]>\"'`]+", re.IGNORECASE)
ALLOWED_HOSTS = re.compile(
    r"^(localhost|127\.0\.0\.1|t\.me|example\.(com|org|net)|[\w.-]+\.example(\.(com|org|net))?"
    r"|[\w.-]+\.(example|test|invalid|localhost)|[\w-]+\.example\.(com|org|net))$",
    re.IGNORECASE,
)
# Built from parts so that this file itself names no machine path.
WORKSPACE, SIBLING = "/" + "work/", "../" + "shared"
FORBIDDEN_TEXT = (WORKSPACE, SIBLING)


def _links(text: str) -> list[str]:
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)


def test_every_expected_document_exists_and_the_readme_links_each():
    present = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert EXPECTED_DOCS <= present, EXPECTED_DOCS - present
    readme_links = {Path(urlsplit(link).path).name for link in _links((ROOT / "README.md").read_text())}
    assert EXPECTED_DOCS <= readme_links, EXPECTED_DOCS - readme_links


def test_the_readme_keeps_its_two_commands_first():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, re.DOTALL)
    assert [body.strip() for _, body in blocks[:2]] == ["./dev up", "./dev test"]
    assert text.index("./dev test") < text.index("](docs/")
    assert (ROOT / "dev").stat().st_mode & 0o111, "./dev must stay executable"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_to_files_in_the_repository(doc: Path):
    broken = []
    for link in _links(doc.read_text()):
        parts = urlsplit(link)
        if parts.scheme or link.startswith("#") or link.startswith("mailto:"):
            continue
        target = (doc.parent / unquote(parts.path)).resolve()
        if not target.is_relative_to(ROOT) or not target.exists():
            broken.append(link)
    assert broken == [], f"{doc.name}: links that resolve to no file of the repository: {broken}"


def _slugs(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_anchors_name_a_heading_of_their_document(doc: Path):
    broken = []
    for link in _links(doc.read_text()):
        parts = urlsplit(link)
        if parts.scheme or not parts.fragment:
            continue
        target = (doc.parent / unquote(parts.path)).resolve() if parts.path else doc
        if target.suffix == ".md" and target.exists() and parts.fragment not in _slugs(target.read_text()):
            broken.append(link)
    assert broken == [], f"{doc.name}: anchors that name no heading: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_outside_the_repository(doc: Path):
    text = doc.read_text()
    found = [needle for needle in FORBIDDEN_TEXT if needle in text]
    for url in URL.findall(text):
        host = (urlsplit(url).hostname or "").lower()
        if not ALLOWED_HOSTS.match(host):
            found.append(url)
    assert found == [], f"{doc.name} points outside the repository: {found}"


def test_the_link_checker_itself_catches_what_it_must():
    bad = f"see [spec]({SIBLING}/spec/API.md), [site](https://steller.dev/x) and {WORKSPACE}main"
    assert _links(bad) == [f"{SIBLING}/spec/API.md", "https://steller.dev/x"]
    assert [u for u in URL.findall(bad) if not ALLOWED_HOSTS.match(urlsplit(u).hostname or "")] == \
        ["https://steller.dev/x"]
    for ok in ("http://127.0.0.1:8000/docs", "https://t.me/bot?start=inv_x", "https://hooks.example.com/steller",
               "https://api.acme.example/x", "http://localhost:8090"):
        assert ALLOWED_HOSTS.match(urlsplit(ok).hostname), ok


# --- The webhook signature snippets ----------------------------------------------------------------

def _snippet(language: str) -> str:
    """The fenced block right after `<!-- snippet: verify-<language> -->` in docs/partner-api.md."""
    text = (ROOT / "docs" / "partner-api.md").read_text()
    found = re.search(r"<!-- snippet: verify-%s -->\s*```\w+\n(.*?)```" % language, text, re.DOTALL)
    assert found, f"docs/partner-api.md has no verify-{language} snippet"
    return found.group(1)


def _signed_delivery(*, secrets: list[str], timestamp: int | None = None) -> tuple[bytes, str]:
    from core.notifications.service import event_body, new_event_id, signature_header

    body = event_body({"id": new_event_id(), "type": "order.completed", "created_at": "2026-01-31T12:00:00Z",
                       "livemode": False, "data": {"order": {"id": "0b9f4a52", "status": "completed",
                                                             "total": {"amount": "19.40", "currency": "USD"},
                                                             "note": "ünïcode ✓"}}})
    header = signature_header(secrets=secrets, timestamp=int(time.time()) if timestamp is None else timestamp,
                              body=body)
    return body, header


CASES = [  # (what, secrets the receiver knows, signed with, body changed, timestamp age in s, expected)
    ("current secret", ["whsec_current"], ["whsec_current"], False, 0, True),
    ("after a rotation, the old secret", ["whsec_old"], ["whsec_new", "whsec_old"], False, 0, True),
    ("after a rotation, the new secret", ["whsec_new"], ["whsec_new", "whsec_old"], False, 0, True),
    ("wrong secret", ["whsec_other"], ["whsec_current"], False, 0, False),
    ("changed body", ["whsec_current"], ["whsec_current"], True, 0, False),
    ("timestamp too old", ["whsec_current"], ["whsec_current"], False, 3600, False),
]


def _case_inputs(signed_with, changed, age):
    from core.notifications.service import sign

    body, header = _signed_delivery(secrets=signed_with, timestamp=int(time.time()) - age)
    # The header really is `sign`'s: t=<unix>,v1=<sign(secret, t, body)> for each secret.
    t = int(header.split(",")[0].removeprefix("t="))
    assert header.split(",")[1] == f"v1={sign(signed_with[0], t, body)}"
    if changed:
        body = body.replace(b"19.40", b"19.41")
    return body, header


@pytest.mark.parametrize("what,known,signed_with,changed,age,expected", CASES, ids=[c[0] for c in CASES])
def test_the_python_snippet_verifies_what_steller_signs(what, known, signed_with, changed, age, expected):
    namespace: dict = {}
    exec(compile(_snippet("python"), "docs/partner-api.md#verify-python", "exec"), namespace)
    body, header = _case_inputs(signed_with, changed, age)
    assert namespace["verify_steller_signature"](body, header, known) is expected


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("what,known,signed_with,changed,age,expected", CASES, ids=[c[0] for c in CASES])
def test_the_node_snippet_verifies_what_steller_signs(tmp_path, what, known, signed_with, changed, age, expected):
    body, header = _case_inputs(signed_with, changed, age)
    script = tmp_path / "verify.js"
    script.write_text(_snippet("node") + """
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const ok = verifyStellerSignature(Buffer.from(input.body, "base64"), input.header, input.secrets);
process.stdout.write(JSON.stringify(ok));
""")
    import base64

    payload = json.dumps({"body": base64.b64encode(body).decode(), "header": header, "secrets": known})
    done = subprocess.run(["node", str(script)], input=payload, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) is expected
