-- A thread's `source.application` is the application's name, as flowdock/api-docs
-- docs/Threads.md shows it (issue 17); threads stored before kept the object
-- `{id, name, icon_url}`. Its id moves to `source.application_id`.
UPDATE threads
SET state = json_set(
    state,
    '$.source.application', json_extract(state, '$.source.application.name'),
    '$.source.application_id', json_extract(state, '$.source.application.id')
)
WHERE json_type(state, '$.source.application') = 'object';
