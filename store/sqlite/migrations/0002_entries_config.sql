-- 0002: the config entries of each region (its config versions) in order,
-- so that listing the versions reads them and not the whole log. Partial:
-- other entries (every item event) pay nothing for it.
CREATE INDEX entries_config ON entries (region, seq) WHERE kind = 'config';
