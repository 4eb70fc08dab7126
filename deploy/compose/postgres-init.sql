-- Runs once, when the PostgreSQL volume is first created: lakeFS keeps its metadata in its
-- own database next to roadlabel's.
CREATE DATABASE lakefs OWNER roadlabel;
