-- This pull request's schema change: tried on a copy of main's data, never on main itself.
CREATE TABLE note_tags (
  note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
  tag text NOT NULL,
  PRIMARY KEY (note_id, tag)
);
