//! Settings with one source of truth: each page's settings are one typed struct whose
//! [`Schema`] names every field with its kind, range or choices and label. The server sends
//! the schema (with the defaults) to the page, which builds its controls, URL state and
//! client-side checks from it; changes arrive as patches and are checked here, once.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

use crate::Error;

/// What values a field takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// A number in `min..=max`; whole numbers only when `integer`; `log` suggests a
    /// logarithmic control; `choices`, when given, are the values a control offers (any value
    /// in range is still accepted).
    Number {
        min: f64,
        max: f64,
        integer: bool,
        log: bool,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        choices: Vec<f64>,
    },
    /// One of a fixed list of values (strings or numbers), each with a label.
    Choice { choices: Vec<(Value, String)> },
    /// A string of at most `max_len` characters; what it may name is the job's to check
    /// (e.g. a model from a folder whose contents change).
    Text { max_len: usize },
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    #[serde(flatten)]
    pub kind: Kind,
}

impl Field {
    /// A number field.
    pub fn number(name: &'static str, label: &'static str, (min, max): (f64, f64)) -> Self {
        Field {
            name,
            label,
            kind: Kind::Number {
                min,
                max,
                integer: false,
                log: false,
                choices: Vec::new(),
            },
        }
    }

    /// A whole-number field.
    pub fn whole(name: &'static str, label: &'static str, (min, max): (u64, u64)) -> Self {
        let mut f = Self::number(name, label, (min as f64, max as f64));
        if let Kind::Number { integer, .. } = &mut f.kind {
            *integer = true;
        }
        f
    }

    /// A seed: any whole number a page can hold exactly (below 2⁵³).
    pub fn seed() -> Self {
        Self::whole("seed", "seed", (0, (1 << 53) - 1))
    }

    /// Marks a number field as best controlled on a log scale.
    pub fn log(mut self) -> Self {
        if let Kind::Number { log, .. } = &mut self.kind {
            *log = true;
        }
        self
    }

    /// The values a number field's control offers.
    pub fn offering(mut self, values: &[f64]) -> Self {
        if let Kind::Number { choices, .. } = &mut self.kind {
            *choices = values.to_vec();
        }
        self
    }

    /// A choice among `(value, label)` pairs.
    pub fn choice<V: Into<Value> + Clone>(
        name: &'static str,
        label: &'static str,
        choices: &[(V, &str)],
    ) -> Self {
        Field {
            name,
            label,
            kind: Kind::Choice {
                choices: choices
                    .iter()
                    .map(|(v, l)| (v.clone().into(), l.to_string()))
                    .collect(),
            },
        }
    }

    /// A choice among the values of a [`Choice`] type, labelled as the type labels them:
    /// the list is written once, in the type.
    pub fn choice_of<C: Choice>(name: &'static str, label: &'static str) -> Self {
        let pairs: Vec<(&str, &str)> = C::ALL.iter().map(|c| (c.name(), c.label())).collect();
        Field::choice(name, label, &pairs)
    }

    /// A free string of at most `max_len` characters.
    pub fn text(name: &'static str, label: &'static str, max_len: usize) -> Self {
        Field {
            name,
            label,
            kind: Kind::Text { max_len },
        }
    }

    /// Checks one value against this field.
    pub fn check(&self, v: &Value) -> Result<(), Error> {
        match &self.kind {
            Kind::Number {
                min, max, integer, ..
            } => {
                let x = v
                    .as_f64()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| Error::invalid(format!("{} {v} is not a number", self.label)))?;
                if *integer && (x.fract() != 0.0 || v.is_f64() && x.abs() >= 9.0e15) {
                    return Err(Error::invalid(format!(
                        "{} {v} is not a whole number",
                        self.label
                    )));
                }
                if x < *min || x > *max {
                    return Err(Error::invalid(format!(
                        "{} {x} is outside {}–{}",
                        self.label,
                        trim(*min),
                        trim(*max)
                    )));
                }
                Ok(())
            }
            Kind::Text { max_len } => match v.as_str() {
                Some(t) if t.chars().count() <= *max_len => Ok(()),
                Some(_) => Err(Error::invalid(format!(
                    "{} is longer than {max_len} characters",
                    self.label
                ))),
                None => Err(Error::invalid(format!(
                    "{} {v} is not a string",
                    self.label
                ))),
            },
            Kind::Choice { choices } => {
                let same = |c: &Value| match (c.as_f64(), v.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => c == v,
                };
                if choices.iter().any(|(c, _)| same(c)) {
                    Ok(())
                } else {
                    let list: Vec<String> = choices
                        .iter()
                        .map(|(c, _)| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                        .collect();
                    let shown = v
                        .as_str()
                        .map_or_else(|| v.to_string(), |s| format!("'{s}'"));
                    Err(Error::invalid(format!(
                        "{} {shown} is not one of {}",
                        self.label,
                        list.join(", ")
                    )))
                }
            }
        }
    }
}

/// A number as people write it (no trailing `.0`).
fn trim(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A setting whose values are a fixed list, as a type: a field of it is a [`Field::choice_of`]
/// in the schema and is written on the wire as its [`name`](Choice::name) (serde through
/// [`as_choice`]), so no code matches the setting as a string.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    /// Every value, in the order a page offers them.
    const ALL: &'static [Self];
    /// The value as the wire, the URL and the CLI write it.
    fn name(self) -> &'static str;
    /// The value as a page shows it.
    fn label(self) -> &'static str;

    /// The value called `name`.
    fn from_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.name()).collect();
                Error::invalid(format!("'{name}' is not one of {}", names.join(", ")))
            })
    }
}

/// `v` brought into the range `S`'s schema gives field `name` (a loaded model's values into
/// what a page's control offers): the range is written once, in the schema. A field with no
/// numeric range leaves `v` as it is.
pub fn clamp_to<S: Settings>(name: &str, v: f64) -> f64 {
    match S::schema()
        .into_iter()
        .find(|f| f.name == name)
        .map(|f| f.kind)
    {
        Some(Kind::Number { min, max, .. }) => v.clamp(min, max),
        _ => v,
    }
}

/// Serde for a [`Choice`] field: `#[serde(with = "hourglass_core::settings::as_choice")]`.
pub mod as_choice {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::Choice;

    pub fn serialize<C: Choice, S: Serializer>(c: &C, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.name())
    }

    pub fn deserialize<'de, C: Choice, D: Deserializer<'de>>(d: D) -> Result<C, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        C::from_name(&name).map_err(D::Error::custom)
    }
}

/// A settings struct: its fields' schema, plus any checks across fields.
pub trait Settings: Clone + Default + PartialEq + Serialize + DeserializeOwned {
    /// Every field, in the order a page shows them.
    fn schema() -> Vec<Field>;

    /// Checks that involve more than one field (each field's own range is in the schema).
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Checks every field against the schema, then [`Settings::check`].
    fn validate(&self) -> Result<(), Error> {
        let v = serde_json::to_value(self).map_err(|e| Error::invalid(e.to_string()))?;
        for f in Self::schema() {
            f.check(v.get(f.name).unwrap_or(&Value::Null))?;
        }
        self.check()
    }

    /// These settings with `patch`'s fields changed, checked; unknown fields are refused.
    fn patched(&self, patch: &Map<String, Value>) -> Result<Self, Error> {
        check_patch::<Self>(patch)?;
        let mut v = serde_json::to_value(self).map_err(|e| Error::invalid(e.to_string()))?;
        for (k, x) in patch {
            v[k.as_str()] = x.clone();
        }
        let next: Self = serde_json::from_value(v).map_err(|e| Error::invalid(e.to_string()))?;
        next.validate()?;
        Ok(next)
    }

    /// The schema with each field's default, as sent to a page.
    fn schema_json() -> Value {
        let defaults = serde_json::to_value(Self::default()).unwrap_or(Value::Null);
        Value::Array(
            Self::schema()
                .into_iter()
                .map(|f| {
                    let mut v = json!(f);
                    v["default"] = defaults.get(f.name).cloned().unwrap_or(Value::Null);
                    v
                })
                .collect(),
        )
    }
}

/// Checks each field of `patch` on its own (names and ranges), before it reaches a job.
pub fn check_patch<S: Settings>(patch: &Map<String, Value>) -> Result<(), Error> {
    let schema = S::schema();
    for (k, x) in patch {
        let f = schema.iter().find(|f| f.name == k).ok_or_else(|| {
            let names: Vec<&str> = schema.iter().map(|f| f.name).collect();
            Error::invalid(format!(
                "unknown setting '{k}' (expected one of {})",
                names.join(", ")
            ))
        })?;
        f.check(x)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Shape {
        Round,
        Square,
    }

    impl Choice for Shape {
        const ALL: &'static [Self] = &[Shape::Round, Shape::Square];
        fn name(self) -> &'static str {
            match self {
                Shape::Round => "round",
                Shape::Square => "square",
            }
        }
        fn label(self) -> &'static str {
            match self {
                Shape::Round => "a circle",
                Shape::Square => "a square",
            }
        }
    }

    #[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
    struct WithShape {
        #[serde(with = "as_choice")]
        shape: Shape,
    }

    impl Default for WithShape {
        fn default() -> Self {
            WithShape {
                shape: Shape::Round,
            }
        }
    }

    impl Settings for WithShape {
        fn schema() -> Vec<Field> {
            vec![Field::choice_of::<Shape>("shape", "shape")]
        }
    }

    #[test]
    fn a_choice_type_is_its_schema_and_its_wire_names() {
        let schema = WithShape::schema_json();
        assert_eq!(
            schema[0]["choices"],
            json!([["round", "a circle"], ["square", "a square"]])
        );
        assert_eq!(schema[0]["default"], "round");
        let mut patch = Map::new();
        patch.insert("shape".into(), json!("square"));
        let next = WithShape::default().patched(&patch).unwrap();
        assert_eq!(next.shape, Shape::Square);
        assert_eq!(
            serde_json::to_value(&next).unwrap(),
            json!({"shape": "square"})
        );
        patch.insert("shape".into(), json!("oval"));
        let e = WithShape::default().patched(&patch).unwrap_err();
        assert_eq!(e.to_string(), "shape 'oval' is not one of round, square");
        assert_eq!(clamp_to::<WithShape>("shape", 7.0), 7.0);
        let e = serde_json::from_value::<WithShape>(json!({"shape": "oval"})).unwrap_err();
        assert!(
            e.to_string().contains("'oval' is not one of round, square"),
            "{e}"
        );
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Demo {
        rate: f64,
        count: u64,
        shape: String,
    }

    impl Default for Demo {
        fn default() -> Self {
            Demo {
                rate: 0.1,
                count: 3,
                shape: "circle".into(),
            }
        }
    }

    impl Settings for Demo {
        fn schema() -> Vec<Field> {
            vec![
                Field::number("rate", "rate", (0.01, 0.5)).log(),
                Field::whole("count", "count", (1, 10)),
                Field::choice(
                    "shape",
                    "shape",
                    &[("circle", "Circle"), ("saddle", "Saddle")],
                ),
            ]
        }

        fn check(&self) -> Result<(), Error> {
            if self.shape == "saddle" && self.count < 2 {
                return Err(Error::invalid("a saddle needs 2 or more"));
            }
            Ok(())
        }
    }

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn patches_are_checked_against_the_schema_and_across_fields() {
        let d = Demo::default();
        let p = d
            .patched(&patch(json!({"rate": 0.2, "shape": "saddle"})))
            .unwrap();
        assert_eq!((p.rate, p.count, p.shape.as_str()), (0.2, 3, "saddle"));
        let err = |v: Value| d.patched(&patch(v)).unwrap_err().to_string();
        assert_eq!(err(json!({"rate": 0.9})), "rate 0.9 is outside 0.01–0.5");
        assert_eq!(
            err(json!({"count": 2.5})),
            "count 2.5 is not a whole number"
        );
        assert_eq!(err(json!({"count": "x"})), "count \"x\" is not a number");
        assert_eq!(
            err(json!({"shape": "cube"})),
            "shape 'cube' is not one of circle, saddle"
        );
        assert!(err(json!({"colour": 1})).contains("unknown setting 'colour'"));
        assert_eq!(
            err(json!({"shape": "saddle", "count": 1})),
            "a saddle needs 2 or more"
        );
        assert!(d.validate().is_ok());
        // a value from elsewhere (a loaded model) brought into the schema's range
        assert_eq!(clamp_to::<Demo>("rate", 0.9), 0.5);
        assert_eq!(clamp_to::<Demo>("rate", 0.001), 0.01);
        assert_eq!(clamp_to::<Demo>("count", 40.0), 10.0);
        assert_eq!(clamp_to::<Demo>("rate", 0.2), 0.2);
    }

    #[test]
    fn a_text_field_takes_strings_up_to_its_length() {
        let f = Field::text("model", "model", 5);
        assert!(f.check(&json!("mnist")).is_ok());
        assert_eq!(
            f.check(&json!("mnist-2d")).unwrap_err().to_string(),
            "model is longer than 5 characters"
        );
        assert_eq!(
            f.check(&json!(3)).unwrap_err().to_string(),
            "model 3 is not a string"
        );
    }

    #[test]
    fn the_schema_carries_defaults_ranges_and_choices() {
        let s = Demo::schema_json();
        assert_eq!(s[0]["name"], "rate");
        assert_eq!(s[0]["kind"], "number");
        assert_eq!(s[0]["min"], 0.01);
        assert_eq!(s[0]["log"], true);
        assert_eq!(s[0]["default"], 0.1);
        assert_eq!(s[1]["integer"], true);
        assert_eq!(s[2]["kind"], "choice");
        assert_eq!(s[2]["choices"][1], json!(["saddle", "Saddle"]));
        assert_eq!(s[2]["default"], "circle");
    }
}
