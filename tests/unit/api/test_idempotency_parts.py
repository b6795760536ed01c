"""The pure parts of Idempotency-Key: what counts as the same request, which keys are accepted."""

from __future__ import annotations

import pytest

from api.idempotency import canonical_json
from core.idempotency.service import InvalidIdempotencyKey, check_key, party_scope, request_hash


def test_the_same_json_in_another_layout_is_the_same_request():
    a = canonical_json(b'{"quantity": 2, "face_value": "10.00",\n "product_id": 1}')
    b = canonical_json(b'{"product_id":1,"face_value":"10.00","quantity":2}')
    assert a == b
    assert request_hash(method="post", path="/v1/orders", canonical_body=a) == \
        request_hash(method="POST", path="/v1/orders", canonical_body=b)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/orders", b'{"product_id":1,"face_value":"10.0","quantity":2}'),  # "10.0" is not "10.00"
    ("POST", "/v1/orders", b'{"product_id":1,"face_value":"10.00","quantity":3}'),
    ("POST", "/v1/api-keys", b'{"product_id":1,"face_value":"10.00","quantity":2}'),
    ("PUT", "/v1/orders", b'{"product_id":1,"face_value":"10.00","quantity":2}'),
])
def test_another_method_path_or_body_is_another_request(method, path, body):
    first = request_hash(method="POST", path="/v1/orders",
                         canonical_body=canonical_json(b'{"product_id":1,"face_value":"10.00","quantity":2}'))
    assert request_hash(method=method, path=path, canonical_body=canonical_json(body)) != first


def test_an_empty_body_is_canonical_too():
    assert canonical_json(b"") == canonical_json(b"  \n") == ""


@pytest.mark.parametrize("key", ["a", "3f2b8c1e-6a4d-4b7e-9c1a-0d5e7f9a2b64", "~ !" * 50, "x" * 200])
def test_printable_keys_up_to_200_characters_are_accepted(key):
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "new\nline", "clé", "\x00"])
def test_other_keys_are_refused(key):
    with pytest.raises(InvalidIdempotencyKey):
        check_key(key)


def test_live_and_test_keys_of_a_party_have_their_own_scope():
    assert party_scope(party_id=7, livemode=True) != party_scope(party_id=7, livemode=False)
    assert party_scope(party_id=7, livemode=True) != party_scope(party_id=8, livemode=True)
