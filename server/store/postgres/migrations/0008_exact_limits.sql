-- Exact name uniqueness and limits across processes sharing the database.
--
-- records.display_key is store.DisplayKey(name) (case-folded, NFKC, spacing collapsed), which
-- SQL cannot compute: the store writes it with every create and rename, and this migration's Go
-- step (sqlstore.Migration.Go) fills it for the records stored before. Two records of one org
-- and uxPurpose may not share it; where stored records already do, the first (built-ins first,
-- then the oldest) gets the key and the others keep NULL, which the index lets coexist, until
-- they are renamed.
ALTER TABLE records ADD COLUMN display_key TEXT COLLATE "C";
CREATE UNIQUE INDEX records_display_key ON records (org, ux_purpose, display_key);

-- limit_counts keeps, per org and kind of object (store.LimitKind), an upper bound of the
-- objects stored: every create raises it, deletes leave it; a create under a limit counts the
-- objects only when the bound reaches the limit.
CREATE TABLE limit_counts (
    org  TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    n    BIGINT  NOT NULL,
    PRIMARY KEY (org, kind)
);
