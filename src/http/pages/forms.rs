//! Form view-models: a form's fields, its button, and a problem shown beside the field it is
//! about (or above the form), announced to screen readers, with how the page answers. Labels,
//! hints and errors are already in the visitor's language. Plain values: the rooms that render
//! and explain build on them, never the other way round.

use std::time::Duration;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use serde::Serialize;

use crate::domain::{
    locale::Locale,
    new_password::{MAX_CHARS, MIN_CHARS},
};

/// What went wrong with a form, in the visitor's language, which field it is about, and how
/// the page answers.
#[derive(Debug)]
pub struct Problem {
    pub field: Option<&'static str>,
    pub message: String,
    pub link: Option<LinkView>,
    pub answer: Answer,
}

impl Problem {
    pub fn form(message: String) -> Self {
        Self {
            field: None,
            message,
            link: None,
            answer: Answer::Shown,
        }
    }

    pub fn at(field: &'static str, message: String) -> Self {
        Self {
            field: Some(field),
            ..Self::form(message)
        }
    }
}

/// How a page that shows a problem answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Answer {
    /// 200: the page shows the problem, and the form to try again.
    #[default]
    Shown,
    /// 429 with `Retry-After`: a limit refused the attempt.
    TooManyRequests(Duration),
    /// 503 with `Retry-After`: the database cannot take writes for now (a full disk, a lock
    /// held elsewhere), so monitoring and clients see it for what it is.
    Unavailable { retry_after_secs: u32 },
    /// 500: what the page shows could not be loaded; the page says so instead.
    Failed,
}

impl Answer {
    /// Gives a rendered page this answer's status and `Retry-After`.
    pub fn apply(self, mut page: Response) -> Response {
        let (status, retry_after) = match self {
            Self::Shown => return page,
            // Rounded up: a client that waits exactly this long finds room.
            Self::TooManyRequests(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                Some(wait.as_millis().div_ceil(1000).max(1).to_string()),
            ),
            Self::Unavailable { retry_after_secs } => (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(retry_after_secs.to_string()),
            ),
            Self::Failed => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        *page.status_mut() = status;
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s).ok()) {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
        page
    }
}

/// One input of a form.
#[derive(Debug, Serialize, Default)]
pub struct Field {
    id: String,
    name: &'static str,
    label: String,
    r#type: &'static str,
    autocomplete: &'static str,
    required: bool,
    value: Option<String>,
    hint: Option<String>,
    error: Option<String>,
    describedby: Option<String>,
    minlength: Option<u32>,
    maxlength: Option<u32>,
    inputmode: Option<&'static str>,
    focus: bool,
    options: Vec<SelectOption>,
}

#[derive(Debug, Serialize)]
struct SelectOption {
    value: &'static str,
    label: String,
    /// The option's own language, when it is not the page's.
    lang: Option<&'static str>,
}

impl Field {
    pub fn new(
        name: &'static str,
        label: String,
        r#type: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            r#type,
            autocomplete,
            required: true,
            ..Self::default()
        }
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn value(mut self, value: Option<String>) -> Self {
        self.value = value.filter(|v| !v.is_empty());
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn numeric(mut self) -> Self {
        self.inputmode = Some("numeric");
        self
    }

    /// A new password: the policy's bounds, so the browser checks them first.
    pub fn new_password(mut self) -> Self {
        self.minlength = Some(MIN_CHARS as u32);
        self.maxlength = Some(MAX_CHARS as u32);
        self
    }

    /// A choice of language, each offered in its own language (`Pages::language_names`).
    pub fn languages(mut self, names: impl IntoIterator<Item = (Locale, String)>) -> Self {
        self.r#type = "select";
        self.options = names
            .into_iter()
            .map(|(l, label)| SelectOption {
                value: l.as_str(),
                label,
                lang: Some(l.as_str()),
            })
            .collect();
        self
    }

    /// Puts a first option `value` with `label` (in the page's language) before the others.
    pub fn first_option(mut self, value: &'static str, label: String) -> Self {
        self.options.insert(
            0,
            SelectOption {
                value,
                label,
                lang: None,
            },
        );
        self
    }

    /// The most characters the field takes, so the browser stops there first.
    pub fn max_chars(mut self, max: u32) -> Self {
        self.maxlength = Some(max);
        self
    }
}

/// The address field of the signed-out forms, labelled `label`.
pub fn email_field(label: String, value: Option<String>) -> Field {
    Field::new("email", label, "email", "email").value(value)
}

#[derive(Debug, Serialize)]
struct Hidden {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
pub struct LinkView {
    url: String,
    label: String,
    lead: Option<String>,
}

impl LinkView {
    pub fn new(url: &str, label: String) -> Self {
        Self {
            url: url.to_owned(),
            label,
            lead: None,
        }
    }

    pub fn after(mut self, lead: String) -> Self {
        self.lead = Some(lead);
        self
    }

    fn carrying(mut self, carry: &impl Fn(&str) -> String) -> Self {
        self.url = carry(&self.url);
        self
    }
}

/// The links of a page with `carry` applied (the visitor's `return_to` carried on).
pub fn carrying(links: Vec<LinkView>, carry: &impl Fn(&str) -> String) -> Vec<LinkView> {
    links.into_iter().map(|l| l.carrying(carry)).collect()
}

/// A form: its fields, its button, and an error beside the field it is about (or above the
/// form when it is about the whole form), announced to screen readers.
#[derive(Debug, Serialize)]
pub struct FormView {
    id: &'static str,
    action: String,
    button: String,
    button_class: Option<&'static str>,
    fields: Vec<Field>,
    hidden: Vec<Hidden>,
    error: Option<String>,
    error_link: Option<LinkView>,
    /// How the page answers, as the problem shown says (not part of the page).
    #[serde(skip)]
    answer: Answer,
}

impl FormView {
    pub fn new(id: &'static str, action: &'static str, button: String) -> Self {
        Self {
            id,
            action: action.to_owned(),
            button,
            button_class: None,
            fields: Vec::new(),
            hidden: Vec::new(),
            error: None,
            error_link: None,
            answer: Answer::Shown,
        }
    }

    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    pub fn hidden(mut self, name: &'static str, value: String) -> Self {
        self.hidden.push(Hidden { name, value });
        self
    }

    pub fn button_class(mut self, class: &'static str) -> Self {
        self.button_class = Some(class);
        self
    }

    /// Puts `problem` beside its field, or above the form when no field of this form is meant;
    /// the page then answers as the problem says.
    pub fn problem(mut self, problem: Option<Problem>) -> Self {
        let Some(problem) = problem else {
            return self;
        };
        self.answer = problem.answer;
        match problem
            .field
            .and_then(|name| self.fields.iter_mut().find(|f| f.name == name))
        {
            Some(field) => field.error = Some(problem.message),
            None => {
                self.error = Some(problem.message);
                self.error_link = problem.link;
            }
        }
        self
    }

    /// The form posts to its action with `carry` applied (the visitor's `return_to`).
    pub fn carrying(mut self, carry: &impl Fn(&str) -> String) -> Self {
        self.action = carry(&self.action);
        self
    }

    /// How a page with this form answers.
    pub fn answer(&self) -> Answer {
        self.answer
    }

    /// Ids, `aria-describedby`, and focus on the first field in error (no script needed).
    pub fn finish(mut self) -> Self {
        let mut focused = false;
        for field in &mut self.fields {
            field.id = format!("{}-{}", self.id, field.name.replace('_', "-"));
            let mut described = Vec::new();
            if field.error.is_some() {
                described.push(format!("{}-error", field.id));
                if !focused {
                    field.focus = true;
                    focused = true;
                }
            }
            if field.hint.is_some() {
                described.push(format!("{}-hint", field.id));
            }
            field.describedby = (!described.is_empty()).then(|| described.join(" "));
        }
        self
    }

    #[cfg(test)]
    pub(super) fn fields(&self) -> &[Field] {
        &self.fields
    }

    #[cfg(test)]
    pub(super) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

#[cfg(test)]
impl Field {
    pub(super) fn id(&self) -> &str {
        &self.id
    }
    pub(super) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    pub(super) fn describedby(&self) -> Option<&str> {
        self.describedby.as_deref()
    }
    pub(super) fn focused(&self) -> bool {
        self.focus
    }
}

/// A page with one form.
pub struct FormPage {
    pub title: String,
    pub intro: Option<String>,
    pub form: FormView,
    pub links: Vec<LinkView>,
}
