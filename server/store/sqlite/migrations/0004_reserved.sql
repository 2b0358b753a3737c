-- Placeholder: migration 0004 is assigned to the OIDC work on another branch; the loader wants
-- migrations numbered without gaps. Dropped at merge in favour of that branch's 0004.
SELECT 1;
