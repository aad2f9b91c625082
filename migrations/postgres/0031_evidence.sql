-- Photos as evidence of the work (PostgreSQL). The twin lives in ../sqlite/0031_evidence.sql;
-- keep them in step.
--
-- A photo that staff (the grid's leader or deputy, a coordinator, an admin) attach to a ticket —
-- sent with 办结, replying to the ticket's card or notices, or within parser.photo_window of
-- their 办结 — is evidence of the work (办结凭证); a resident's photo is part of the report.
-- `evidence.photo_required` names categories that are not resolved without one.
ALTER TABLE photos ADD COLUMN evidence BIGINT NOT NULL DEFAULT 0;
