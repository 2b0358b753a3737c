-- Placeholder for migration 0004 (OIDC, another branch): migrations are numbered without
-- gaps and 0006 is the guardrails'. Delete this file when the OIDC migration is merged.
SELECT 1;
