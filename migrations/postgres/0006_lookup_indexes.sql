-- Who to mention for a person on a platform (on duty, holders, find people) is looked up by
-- person and platform for every new ticket. With only (person) indexed, SQLite picked the
-- primary key's platform prefix instead and scanned every identity of the platform; this
-- index answers the lookup directly (and covers the user id).
CREATE INDEX identities_person_platform ON identities (person, platform, user_id);
DROP INDEX identities_person;
