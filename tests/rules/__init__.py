"""The rules of SPEC section 3, called directly over a real session on SQLite and PostgreSQL.

Each test runs in a transaction that is rolled back afterwards; the races
commit from threads of their own and empty the tables after. One module per
rule: 1 test_capacity, 2 test_slots, 3 test_order, 4 test_waitlist,
5 test_contracts, 6 test_times; test_reach holds the reach the rules check
with the Actor they are given. Rule 7 (a retried request with the same
``Idempotency-Key``) lives at the HTTP edge, so only HTTP can show it:
tests/integration/test_courses.py::test_a_retry_with_the_same_idempotency_key_gives_the_first_answer
and ::test_a_retried_group_booking_books_one_place prove it.
"""
