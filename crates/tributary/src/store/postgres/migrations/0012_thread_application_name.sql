-- A thread's `source.application` is the application's name, as flowdock/api-docs
-- docs/Threads.md shows it (issue 17); threads stored before kept the object
-- `{id, name, icon_url}`. Its id moves to `source.application_id`.
UPDATE threads
SET state = jsonb_set(
    jsonb_set(state::jsonb, '{source,application}', state::jsonb #> '{source,application,name}'),
    '{source,application_id}',
    state::jsonb #> '{source,application,id}'
)::text
WHERE jsonb_typeof(state::jsonb #> '{source,application}') = 'object';
