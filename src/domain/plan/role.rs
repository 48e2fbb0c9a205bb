//! Who does things in a plan: product roles (release manager, SRE lead, ...) and item owners.

use std::fmt;
use std::str::FromStr;

use crate::domain::excerpt::excerpt;

/// The role keys the product knows; FromStr/Display use the kebab-case key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    ReleaseManager,
    EngineeringLead,
    ProductManager,
    MarketingLead,
    SalesLead,
    SupportLead,
    SreLead,
    QaLead,
    SecurityLead,
    OnCall,
    VpEngineering,
    Executive,
}

/// A role key that golive does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{}`", excerpt(.0))]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role, in the order the plan's key-contacts table lists them.
    pub const ALL: [Role; 12] = [
        Role::ReleaseManager,
        Role::EngineeringLead,
        Role::ProductManager,
        Role::MarketingLead,
        Role::SalesLead,
        Role::SupportLead,
        Role::SreLead,
        Role::QaLead,
        Role::SecurityLead,
        Role::OnCall,
        Role::VpEngineering,
        Role::Executive,
    ];

    /// The kebab-case key used in plan files and commands, e.g. "release-manager".
    pub fn key(&self) -> &'static str {
        match self {
            Role::ReleaseManager => "release-manager",
            Role::EngineeringLead => "engineering-lead",
            Role::ProductManager => "product-manager",
            Role::MarketingLead => "marketing-lead",
            Role::SalesLead => "sales-lead",
            Role::SupportLead => "support-lead",
            Role::SreLead => "sre-lead",
            Role::QaLead => "qa-lead",
            Role::SecurityLead => "security-lead",
            Role::OnCall => "on-call",
            Role::VpEngineering => "vp-engineering",
            Role::Executive => "executive",
        }
    }

    /// The title people read, e.g. "Release Manager".
    pub fn title(&self) -> &'static str {
        match self {
            Role::ReleaseManager => "Release Manager",
            Role::EngineeringLead => "Engineering Lead",
            Role::ProductManager => "Product Manager",
            Role::MarketingLead => "Marketing Lead",
            Role::SalesLead => "Sales Lead",
            Role::SupportLead => "Support Lead",
            Role::SreLead => "SRE Lead",
            Role::QaLead => "QA Lead",
            Role::SecurityLead => "Security Lead",
            Role::OnCall => "Engineering On-Call",
            Role::VpEngineering => "VP Engineering",
            Role::Executive => "Executive Team",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.key() == text)
            .ok_or_else(|| UnknownRole(text.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Who owns an item: one team, or everyone ("All").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A team, by its key in the plan's `[[teams]]`.
    Team(String),
    /// Everyone on the launch; written `"all"` in plan files.
    All,
}

impl Owner {
    /// The key a plan file uses for this owner: a team key or "all".
    pub fn key(&self) -> &str {
        match self {
            Owner::Team(team) => team,
            Owner::All => "all",
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_key() {
        for role in Role::ALL {
            assert_eq!(role.key().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.key());
        }
    }

    #[test]
    fn an_unknown_role_key_is_rejected() {
        assert_eq!("cto".parse::<Role>(), Err(UnknownRole("cto".into())));
    }

    #[test]
    fn everyone_is_written_all() {
        assert_eq!(Owner::All.to_string(), "all");
        assert_eq!(Owner::Team("sre".into()).key(), "sre");
    }
}
