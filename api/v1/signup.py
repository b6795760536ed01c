"""`POST /v1/signup`: a pending partner with a test key and a funded sandbox wallet (no auth)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.idempotency import Created, IdempotencyKeyHeader, run_idempotent
from api.v1.common import problem_responses

router = APIRouter(prefix="/v1", tags=["signup"])


class SignupRequest(BaseModel):
    company_name: str = Field(min_length=1, max_length=200, examples=["Acme Gifts Ltd"])
    email: str = Field(min_length=3, max_length=320, examples=["api@acme.example"])
    use_case: str | None = Field(default=None, max_length=1000,
                                 examples=["Gift cards as rewards in our loyalty app"])


class SignupResponse(BaseModel):
    party_id: int = Field(examples=[42])
    status: str = Field(description="`pending` until an admin approves live use", examples=["pending"])
    test_key: str = Field(description="A `sk_test_` key for the sandbox: shown once, store it now",
                          examples=["sk_test_3q8N1o9cKx2W7bYtVfL0mR5uZ4hGdEaJpQs6iTnHkCw"])
    livemode: bool = Field(default=False, examples=[False])


_RESPONSES = {k: v for k, v in problem_responses(
    (409, "signup.email_taken"), (409, "idempotency.mismatch"), (422, "signup.invalid_email"),
    (422, "idempotency.invalid_key")).items()
    if k not in (401, 403)}


@router.post("/signup", status_code=201, response_model=SignupResponse, summary="Sign up as a partner",
             description="Creates a pending partner, a test key and a sandbox wallet funded with the "
                         "sandbox starting balance. Live access follows an admin's approval. "
                         "Limited per client IP. With an `Idempotency-Key`, a retried signup returns the "
                         "first answer (the same test key) instead of `signup.email_taken`.",
             responses=_RESPONSES, openapi_extra={"security": []})
async def signup(body: SignupRequest, request: Request,
                 idempotency_key: IdempotencyKeyHeader = None) -> Response:
    from core.parties.signup import sign_up_partner
    from jobs.notifications import enqueue_deliveries

    async def create() -> Created:
        signed = await sign_up_partner(company_name=body.company_name, email=body.email, use_case=body.use_case,
                                       request_id=getattr(request.state, "request_id", None))
        answer = SignupResponse(party_id=signed.party.id, status=str(signed.party.status),
                                test_key=signed.test_key.secret)
        return Created(201, answer, sensitive=True,
                       after_commit=lambda: enqueue_deliveries(request.app.state.arq, signed.notifications))

    client = request.client.host if request.client else "unknown"
    return await run_idempotent(request, create=create, scope=f"signup:ip:{client}")
