-- Placeholder so that 0007 applies on this branch (migrations must have no gaps): the
-- branch that owns migration 0006 replaces this file at merge.
SELECT 1;
