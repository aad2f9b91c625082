-- Coordinators name people in commands (转派 #12 张三) and the roster is searched by name: with
-- a county's 40,000 people, finding one by name read the whole table. The twin lives in
-- ../sqlite/0043_people_by_name.sql.
CREATE INDEX people_name ON people (name);
