"""Which stations may push and what the central database accepts from them: enrolment and
revocation of stations (`enrolment`) and the acceptance rules the central database
enforces itself with triggers (`central_rules`). docs/security.md has the threat model.
"""
