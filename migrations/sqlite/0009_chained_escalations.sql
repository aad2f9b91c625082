-- A ticket's escalation timer is now written by its reminder when the reminder fires, instead
-- of both at once when the ticket opens. Escalations still waiting beside a reminder that will
-- write them again are removed, so that no deadline escalates twice.
DELETE FROM timers
WHERE fired_at IS NULL
  AND ((kind = 'escalate_claim' AND EXISTS (
          SELECT 1 FROM timers r
          WHERE r.ticket_id = timers.ticket_id AND r.kind = 'remind_claim' AND r.fired_at IS NULL))
    OR (kind = 'escalate_resolve' AND EXISTS (
          SELECT 1 FROM timers r
          WHERE r.ticket_id = timers.ticket_id AND r.kind = 'remind_resolve' AND r.fired_at IS NULL)));
