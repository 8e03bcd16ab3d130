//! Forms that come back with mistakes: what was typed is kept, and each
//! message stands beside its field (or above the form when it names none).

use wuye_app::messages::Lang;
use wuye_app::AppError;

use wuye_app::messages::{self, Edge};

/// The messages of a form sent back.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    fields: Vec<(String, String)>,
    /// Messages that belong to no one field.
    pub general: Vec<String>,
}

impl Errors {
    /// No mistakes.
    pub fn none() -> Self {
        Self::default()
    }

    /// The messages for an error: beside the field it names when the form has
    /// that field, else above the form.
    pub fn from_error(error: &AppError, lang: Lang, form_fields: &[&str]) -> Self {
        let mut errors = Self::default();
        errors.add(error, lang, form_fields);
        errors
    }

    /// Adds one error's message.
    pub fn add(&mut self, error: &AppError, lang: Lang, form_fields: &[&str]) {
        let words = messages::message(error, lang, Edge::Plain);
        let named = match error {
            AppError::UnknownCategory(_) => Some("category".to_string()),
            AppError::BadDate(_) => None,
            _ => error.params().into_iter().find(|(k, _)| *k == "field").map(|(_, v)| v),
        };
        match named.filter(|f| form_fields.contains(&f.as_str())) {
            Some(field) => self.fields.push((field, words)),
            None => self.general.push(words),
        }
    }

    /// Adds a message for one field.
    pub fn field(&mut self, field: &str, words: impl Into<String>) {
        self.fields.push((field.to_string(), words.into()));
    }

    /// The message beside `field`, if any.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, w)| w.as_str())
    }

    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }
}
