-- Email addresses. A user may give one address (updateProfile); it is used for alerts only once the user opened the
-- signed verification link sent to it (the notifications service handles the link and sets email_verified_at here
-- through the users service). Changing the address clears the verification.
ALTER TABLE users ADD COLUMN email text;
ALTER TABLE users ADD COLUMN email_verified_at timestamptz(3);
