//! The results table: each figure from every run, summarised as median, min and max, with
//! the target it is held to.

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
}

impl Goal {
    fn met(self, v: f64) -> bool {
        match self {
            Goal::AtLeast(t) => v >= t,
            Goal::AtMost(t) => v <= t,
        }
    }

    fn text(self) -> String {
        match self {
            Goal::AtLeast(t) => format!("≥ {t}"),
            Goal::AtMost(t) => format!("≤ {t}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub metric: String,
    pub values: Vec<f64>,
    pub goal: Option<Goal>,
}

impl Row {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }

    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

fn fmt(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

impl Report {
    /// Records one run's value of `metric` in `scenario`.
    pub fn add(&mut self, scenario: &str, metric: &str, value: f64) {
        match self
            .rows
            .iter_mut()
            .find(|r| r.scenario == scenario && r.metric == metric)
        {
            Some(r) => r.values.push(value),
            None => self.rows.push(Row {
                scenario: scenario.to_owned(),
                metric: metric.to_owned(),
                values: vec![value],
                goal: None,
            }),
        }
    }

    pub fn goal(&mut self, scenario: &str, metric: &str, goal: Goal) {
        if let Some(r) = self
            .rows
            .iter_mut()
            .find(|r| r.scenario == scenario && r.metric == metric)
        {
            r.goal = Some(goal);
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn get(&self, scenario: &str, metric: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.scenario == scenario && r.metric == metric)
    }

    /// A Markdown table, ready for BENCHMARKS.md.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| scenario | metric | median | min | max | runs | target |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|");
        for r in &self.rows {
            let s = r.sorted();
            let target = match r.goal {
                Some(g) => format!(
                    "{} {}",
                    g.text(),
                    if g.met(r.median()) { "met" } else { "NOT met" }
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.scenario,
                r.metric,
                fmt(r.median()),
                fmt(s.first().copied().unwrap_or(f64::NAN)),
                fmt(s.last().copied().unwrap_or(f64::NAN)),
                r.values.len(),
                target
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "\n{n}");
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows.iter().map(|r| serde_json::json!({
                "scenario": r.scenario,
                "metric": r.metric,
                "values": r.values,
                "median": r.median(),
                "goal": r.goal.map(|g| g.text()),
            })).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }
}
