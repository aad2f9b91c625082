-- Sandbox photos (PostgreSQL). The twin lives in ../sqlite/0033_sandbox_photos.sql; keep them in step.
--
-- A photo attached to a sandbox message (the page's 📷), as a data URL (`data:image/…;base64,…`).
-- The ticket's photo reference is `sandbox:{message id}`.
ALTER TABLE sandbox_messages ADD COLUMN photo TEXT;
