-- 0003: the list indexes move to the list index file (lists.go): the
-- indexes that item lists by creation, status, queue, owner and type and
-- decision lists by agent read are kept there, after the commit, instead of
-- in every commit of this file. Item rows are found again by the head seq
-- they were written at (updated_seq), which is how the list index catches
-- up after a crash or when its file is missing.
DROP INDEX items_created;
DROP INDEX items_status;
DROP INDEX items_queue;
DROP INDEX items_owner;
DROP INDEX items_type;
DROP INDEX decisions_agent;
CREATE INDEX items_updated ON items (region, updated_seq);
