//! OAuth scopes (flowdock/api-docs docs/authentication.md): what a credential may do.

/// OAuth scopes as a bit set. API tokens and passwords carry every scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub const FLOW: Scopes = Scopes(1);
    pub const PRIVATE: Scopes = Scopes(2);
    pub const MANAGE: Scopes = Scopes(4);
    pub const PROFILE: Scopes = Scopes(8);
    pub const OFFLINE_ACCESS: Scopes = Scopes(16);
    pub const INTEGRATION: Scopes = Scopes(32);
    pub const ALL: Scopes = Scopes(63);

    pub fn contains(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets, usable in constants.
    pub const fn union(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }

    /// Whether any scope of `other` is granted.
    pub fn intersects(self, other: Scopes) -> bool {
        self.0 & other.0 != 0
    }

    /// What a request gets when it names no scope (flowdock/api-docs docs/authentication.md).
    pub const DEFAULT: Scopes = Scopes(1 | 2);

    /// Reading one's own profile (`GET /user`): `profile`, or any scope that acts as the user
    /// in flows or organizations, since such a client needs to know whom it acts as. Not
    /// `integration` or `offline_access` alone.
    pub const OWN_PROFILE: Scopes = Scopes::PROFILE
        .union(Scopes::FLOW)
        .union(Scopes::PRIVATE)
        .union(Scopes::MANAGE);

    /// Reading other people, emails included: as a co-member of flows (`flow`) or of
    /// organizations (`manage`). `profile` covers only one's own.
    pub const PEOPLE: Scopes = Scopes::FLOW.union(Scopes::MANAGE);

    /// Every scope with its name and what it allows, in plain words for the consent page.
    pub const NAMED: [(Scopes, &'static str, &'static str); 6] = [
        (
            Scopes::FLOW,
            "flow",
            "Read and send messages in your flows, and see who is in them",
        ),
        (
            Scopes::PRIVATE,
            "private",
            "Read and send your private messages",
        ),
        (
            Scopes::MANAGE,
            "manage",
            "Manage your flows, organizations and their users",
        ),
        (
            Scopes::PROFILE,
            "profile",
            "See your profile: name, nick, email and avatar",
        ),
        (
            Scopes::OFFLINE_ACCESS,
            "offline_access",
            "Keep access when you are not using it",
        ),
        (
            Scopes::INTEGRATION,
            "integration",
            "Add integrations (sources) to your flows",
        ),
    ];

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// Scopes from stored bits; unknown bits are dropped.
    pub fn from_bits(bits: i64) -> Scopes {
        Scopes((bits & i64::from(Scopes::ALL.0)) as u8)
    }

    /// Parses a scope list separated by spaces or commas (Flowdock answered `flow,private`,
    /// RFC 6749 uses spaces). An empty list means [`Scopes::DEFAULT`]; an unknown name is an
    /// error naming it.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        let mut bits = 0u8;
        for name in list.split([' ', ',', '+']).filter(|s| !s.is_empty()) {
            let (scope, _, _) = Scopes::NAMED
                .iter()
                .find(|(_, n, _)| *n == name)
                .ok_or_else(|| format!("unknown scope `{name}`"))?;
            bits |= scope.0;
        }
        Ok(if bits == 0 {
            Scopes::DEFAULT
        } else {
            Scopes(bits)
        })
    }

    /// The scope names, space-separated as RFC 6749 §3.3 writes them.
    pub fn to_list(self) -> String {
        Scopes::NAMED
            .iter()
            .filter(|(s, _, _)| self.contains(*s))
            .map(|(_, n, _)| *n)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::ops::BitOr for Scopes {
    type Output = Scopes;
    fn bitor(self, rhs: Scopes) -> Scopes {
        Scopes(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_token_sees_itself_and_nobody_else() {
        assert!(Scopes::PROFILE.intersects(Scopes::OWN_PROFILE));
        assert!(!Scopes::PROFILE.intersects(Scopes::PEOPLE));
        assert!(!(Scopes::INTEGRATION | Scopes::OFFLINE_ACCESS).intersects(Scopes::OWN_PROFILE));
        assert!(Scopes::DEFAULT.intersects(Scopes::PEOPLE));
    }

    #[test]
    fn scopes_compose() {
        assert!(Scopes::ALL.contains(Scopes::INTEGRATION));
        assert!(!Scopes::FLOW.contains(Scopes::INTEGRATION));
    }

    #[test]
    fn scopes_parse_and_print() {
        assert_eq!(Scopes::parse("").unwrap(), Scopes::DEFAULT);
        assert_eq!(
            Scopes::parse("flow integration").unwrap(),
            Scopes::FLOW | Scopes::INTEGRATION
        );
        assert_eq!(Scopes::parse("flow,private").unwrap(), Scopes::DEFAULT);
        assert!(Scopes::parse("flow admin").unwrap_err().contains("admin"));
        assert_eq!(Scopes::DEFAULT.to_list(), "flow private");
        assert_eq!(Scopes::from_bits(Scopes::ALL.bits()), Scopes::ALL);
        assert!((Scopes::FLOW | Scopes::PROFILE).intersects(Scopes::PROFILE));
        assert!(!Scopes::FLOW.intersects(Scopes::INTEGRATION | Scopes::MANAGE));
    }
}
