//! Stream cursors: where a client resumes.
//!
//! A single-flow stream's cursor is the last message id, as Flowdock's was. A multi-flow stream
//! needs a position in every flow, so its cursor lists them: `<flow id>:<message id>,...`.
//! Parsing is strict; a cursor that does not parse is answered with a `gap` event rather than
//! guessed at.

use std::collections::BTreeMap;

/// The last id seen in each flow of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    positions: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCursor;

impl Cursor {
    /// Parses a cursor for a stream over `flows`. A bare number is accepted only for a
    /// single-flow stream.
    pub fn parse(text: &str, flows: &[&str]) -> Result<Cursor, BadCursor> {
        let text = text.trim();
        let mut positions = BTreeMap::new();
        if let Ok(id) = text.parse::<i64>() {
            if flows.len() != 1 || id < 0 {
                return Err(BadCursor);
            }
            positions.insert(flows[0].to_owned(), id);
            return Ok(Cursor { positions });
        }
        for part in text.split(',') {
            let (flow, id) = part.rsplit_once(':').ok_or(BadCursor)?;
            let id: i64 = id.parse().map_err(|_| BadCursor)?;
            if id < 0 || flow.is_empty() {
                return Err(BadCursor);
            }
            // Positions in flows the stream no longer covers are dropped, not an error: the
            // client may have narrowed its filter.
            if flows.contains(&flow) {
                positions.insert(flow.to_owned(), id);
            }
        }
        Ok(Cursor { positions })
    }

    pub fn get(&self, flow: &str) -> Option<i64> {
        self.positions.get(flow).copied()
    }

    /// Moves the flow's position to `id`, backwards too (a resume starts before "now").
    pub fn set(&mut self, flow: &str, id: i64) {
        self.positions.insert(flow.to_owned(), id);
    }

    pub fn advance(&mut self, flow: &str, id: i64) {
        match self.positions.get_mut(flow) {
            Some(p) if *p >= id => {}
            Some(p) => *p = id,
            None => {
                self.positions.insert(flow.to_owned(), id);
            }
        }
    }

    /// The cursor text for a stream over `flows`: a bare id for one flow, the list otherwise.
    pub fn render(&self, flows: &[&str]) -> String {
        if let [only] = flows {
            return self.get(only).unwrap_or(0).to_string();
        }
        let mut out = String::new();
        for (flow, id) in &self.positions {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(flow);
            out.push(':');
            out.push_str(&id.to_string());
        }
        out
    }
}

/// The cursor text of a stream from its positions in flow id order (the order
/// [`Cursor::render`] uses): a bare id for one flow, `<flow id>:<message id>,...` otherwise.
pub fn render_sorted<'a>(positions: impl ExactSizeIterator<Item = (&'a str, i64)>) -> String {
    render_positions(positions, false)
}

/// [`render_sorted`], but the list form always when `listed` (a stream whose flows may grow).
pub fn render_positions<'a>(
    positions: impl ExactSizeIterator<Item = (&'a str, i64)>,
    listed: bool,
) -> String {
    use std::fmt::Write;
    let single = positions.len() == 1 && !listed;
    let mut out = String::new();
    for (flow, id) in positions {
        if single {
            let _ = write!(out, "{id}");
        } else {
            if !out.is_empty() {
                out.push(',');
            }
            let _ = write!(out, "{flow}:{id}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_flow_cursors_are_message_ids() {
        let c = Cursor::parse("42", &["f1"]).unwrap();
        assert_eq!(c.get("f1"), Some(42));
        assert_eq!(c.render(&["f1"]), "42");
        assert_eq!(Cursor::parse("42", &["f1", "f2"]), Err(BadCursor));
        assert_eq!(Cursor::parse("-1", &["f1"]), Err(BadCursor));
    }

    #[test]
    fn multi_flow_cursors_round_trip_and_advance() {
        let flows = ["aa-1", "bb-2"];
        let mut c = Cursor::parse("aa-1:5,bb-2:9,gone:3", &flows).unwrap();
        assert_eq!(
            (c.get("aa-1"), c.get("bb-2"), c.get("gone")),
            (Some(5), Some(9), None)
        );
        c.advance("aa-1", 7);
        c.advance("bb-2", 4);
        assert_eq!(c.render(&flows), "aa-1:7,bb-2:9");
        assert_eq!(Cursor::parse(&c.render(&flows), &flows).unwrap(), c);
        for bad in ["", "x", "aa-1:", "aa-1:x", ":5", "aa-1:5,,"] {
            assert_eq!(Cursor::parse(bad, &flows), Err(BadCursor), "{bad:?}");
        }
    }
}
