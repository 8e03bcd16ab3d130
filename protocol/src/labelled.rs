//! `labelled_enum!`: a closed set of values, each with the name stored in
//! documents and the name a Chinese-speaking office knows; both parse.

/// Declares such an enum with `ALL`, `as_str`, `label` and `FromStr`; the
/// refusal for an unknown name is built by `$err` from the (shortened) input.
macro_rules! labelled_enum {
    (
        $(#[$doc:meta])* $name:ident, $errty:ty, $err:expr,
        { $($variant:ident => ($key:literal, $label:literal)),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[doc = $label] $variant,)+
        }

        impl $name {
            /// Every value, in the order forms list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            /// The name the site knows.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $errty;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s) || v.label() == s)
                    .ok_or_else(|| {
                        let make: fn(String) -> $errty = $err;
                        make(s.chars().take(32).collect())
                    })
            }
        }
    };
}
