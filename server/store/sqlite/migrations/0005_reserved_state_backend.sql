-- Placeholder for migration 0005 (state backend, another branch): migrations are numbered
-- without gaps and 0006 is the guardrails'. Delete this file when that migration is merged.
SELECT 1;
