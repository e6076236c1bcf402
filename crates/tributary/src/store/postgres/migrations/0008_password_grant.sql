-- The OAuth password grant is opt-in per application (issue 15, RFC 9700 §2.4): only the
-- trusted tools an operator marks with `tributary admin app create --password-grant` may use it.
ALTER TABLE applications ADD COLUMN password_grant BOOLEAN NOT NULL DEFAULT FALSE;
