//! Staff (员工) and their roles (岗位): who may take which step.

use std::fmt;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::rules::{RuleError, MAX_NAME_CHARS};
use crate::time;

labelled_enum!(
    /// A staff member's role at the site (DOMAIN.md's roles).
    Role, RoleError, RoleError, {
        FrontDesk => ("front_desk", "客服员"),
        Supervisor => ("supervisor", "客服主管"),
        Manager => ("manager", "经理"),
        Maintenance => ("maintenance", "维修"),
        Finance => ("finance", "财务"),
        Gate => ("gate", "门岗"),
        Sales => ("sales", "销售"),
        Engineering => ("engineering", "工程"),
    }
);

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{}': use front_desk (客服员), supervisor (客服主管), manager (经理), maintenance (维修), finance (财务) or gate (门岗)", crate::text::echo(.0))]
pub struct RoleError(pub String);

/// A step that only some roles may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    /// Archiving a complaint (归档).
    Archive,
    /// Deciding a major complaint (重大投诉的决定).
    Decide,
    /// Adding staff and setting others' passwords.
    ManageStaff,
    /// Changing the site's settings and its enrollment with head office.
    Configure,
    /// Seeing ID-card and household-register numbers unmasked.
    SeeIdNumbers,
    /// Issuing or cancelling an item-release slip (at the desk, never at the gate).
    IssueSlip,
    /// Checking an item-release slip at the gate.
    CheckSlip,
    /// Approving the loan of a key an owner deposited.
    ApproveOwnerKey,
    /// Opening a move-in slip (收楼流转单) for a house and its owner.
    OpenMoveIn,
    /// Taking a payment (收款) and printing its receipt.
    TakePayment,
    /// Setting up fee items and prices, issuing bills (出账), reading meters in bulk.
    ManageFees,
    /// Voiding a receipt (作废) before the day's close.
    VoidReceipt,
    /// Reducing a bill (减免) or waiving a late fee.
    Reduce,
    /// Refunding a payment (退款).
    Refund,
    /// The last level of chasing arrears.
    LastReminder,
    /// Taking a renovation's application, its passes, patrols and inspections.
    Renovation,
    /// Approving or refusing a renovation, an extension, closing it.
    ApproveRenovation,
}

impl Guarded {
    /// The roles allowed.
    pub fn allowed(self) -> &'static [Role] {
        match self {
            Guarded::Archive => &[Role::Supervisor, Role::Manager],
            Guarded::Decide => &[Role::Manager],
            Guarded::ManageStaff | Guarded::Configure | Guarded::SeeIdNumbers => &[Role::Supervisor, Role::Manager],
            Guarded::IssueSlip => &[Role::FrontDesk, Role::Supervisor, Role::Manager],
            Guarded::CheckSlip => &[Role::Gate, Role::Supervisor, Role::Manager],
            Guarded::ApproveOwnerKey => &[Role::Supervisor, Role::Manager],
            Guarded::OpenMoveIn => &[Role::FrontDesk, Role::Supervisor, Role::Manager, Role::Sales],
            Guarded::TakePayment => &[Role::FrontDesk, Role::Finance, Role::Supervisor, Role::Manager],
            Guarded::ManageFees | Guarded::VoidReceipt => &[Role::Finance, Role::Supervisor, Role::Manager],
            Guarded::Reduce | Guarded::Refund | Guarded::LastReminder => &[Role::Manager],
            Guarded::Renovation => &[Role::FrontDesk, Role::Engineering, Role::Supervisor, Role::Manager],
            Guarded::ApproveRenovation => &[Role::Supervisor, Role::Manager],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Guarded::Archive => "archive a complaint",
            Guarded::Decide => "decide a major complaint",
            Guarded::ManageStaff => "add staff or set another person's password",
            Guarded::Configure => "change the site's settings or enrollment",
            Guarded::SeeIdNumbers => "see ID-card and household-register numbers",
            Guarded::IssueSlip => "issue or cancel an item-release slip",
            Guarded::CheckSlip => "check an item-release slip at the gate",
            Guarded::ApproveOwnerKey => "lend a key an owner deposited",
            Guarded::OpenMoveIn => "open a move-in slip",
            Guarded::TakePayment => "take a payment",
            Guarded::ManageFees => "set up fee items and prices or issue bills",
            Guarded::VoidReceipt => "void a receipt",
            Guarded::Reduce => "reduce a bill or waive a late fee",
            Guarded::Refund => "refund a payment",
            Guarded::LastReminder => "give the last reminder of arrears",
            Guarded::Renovation => "record a renovation's application, passes, patrols or inspection",
            Guarded::ApproveRenovation => "approve, extend or close a renovation",
        }
    }
}

/// Whether `role` may take `step`.
pub fn allowed(role: Option<Role>, step: Guarded) -> bool {
    role.is_some_and(|r| step.allowed().contains(&r))
}

/// Checks that `role` may take `step`; the refusal names the roles that may.
pub fn may(role: Option<Role>, step: Guarded) -> Result<(), RuleError> {
    if allowed(role, step) {
        return Ok(());
    }
    let allowed: Vec<&str> = step.allowed().iter().map(|r| r.label()).collect();
    Err(RuleError::Role {
        action: step.name(),
        allowed: allowed.join(" or "),
        role: role.map_or("no staff member (sign in with `wuye-agent login NAME`)", Role::label),
    })
}

/// A staff member as lists show them (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// The staff member's id.
    pub id: RecordId,
    /// The site they work at.
    pub site_id: SiteId,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// When they were added, in the site's time zone.
    pub created_at: crate::time::SiteTime,
    /// Set once they have left (离职): they may no longer sign in, and are not
    /// offered for dispatch or duty; their history stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

/// When and by whom a staff member was disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disabled {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who disabled them.
    pub by: String,
}

impl Staff {
    /// The staff member's id as a person.
    pub fn staff_id(&self) -> crate::ids::StaffId {
        crate::ids::StaffId::of(self.id)
    }

    /// Whether they still work here.
    pub fn is_active(&self) -> bool {
        self.disabled.is_none()
    }

    /// Refuses someone who has left.
    pub fn check_active(&self) -> Result<(), RuleError> {
        match &self.disabled {
            None => Ok(()),
            Some(d) => {
                Err(RuleError::StaffDisabled { name: self.name.clone(), by: d.by.clone(), at: d.at.to_string() })
            }
        }
    }
}

/// Checks a staff member's name: trimmed, 1 to the name limit's characters.
pub fn check_name(name: &str) -> Result<String, RuleError> {
    crate::rules::field_text("name", name, MAX_NAME_CHARS, true)
}

/// Builds the document of a new staff member.
pub fn create(
    id: RecordId,
    site_id: SiteId,
    timezone: Tz,
    now: DateTime<Utc>,
    by: &str,
    name: &str,
    role: Role,
) -> Result<AutoCommit, RuleError> {
    let name = check_name(name)?;
    let mut doc = AutoCommit::new();
    doc::write_header(
        &mut doc,
        &Header {
            kind: RecordKind::Staff,
            schema: doc::SCHEMA_VERSION,
            id,
            site_id,
            created_at: now,
            created_by: by.to_string(),
            timezone,
        },
    )?;
    doc.put(ROOT, "name", name.as_str())?;
    doc.put(ROOT, "role", role.as_str())?;
    Ok(doc)
}

/// Reads a staff member from a hydrated root whose header is already read.
/// Disables a staff member who has left; refused if already disabled.
pub fn disable(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str) -> Result<(), RuleError> {
    let member = read(doc)?;
    member.check_active()?;
    let by = crate::rules::field_text("by", by, MAX_NAME_CHARS, true)?;
    doc.put(ROOT, "disabled_at", time::to_stored(now))?;
    doc.put(ROOT, "disabled_by", by)?;
    Ok(())
}

impl crate::kind::Kind for Staff {
    const KIND: RecordKind = RecordKind::Staff;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        from_root(root, header)
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection { sort: self.name.clone(), status: if self.disabled.is_some() { "disabled" } else { "active" } }
    }
}

fn from_root(root: &Fields<'_>, header: &Header) -> Result<Staff, DocError> {
    let role = root.str("role")?.parse().map_err(|e: RoleError| DocError::invalid("role", e.to_string()))?;
    // Two disables made while apart: Automerge keeps one of each key, the same everywhere.
    let disabled = match root.instant("disabled_at") {
        Err(DocError::Missing(_)) => None,
        at => Some(Disabled { at: time::to_site(at?, header.timezone), by: root.str("disabled_by")? }),
    };
    Ok(Staff {
        id: header.id,
        site_id: header.site_id,
        name: root.str("name")?,
        role,
        created_at: time::to_site(header.created_at, header.timezone),
        disabled,
    })
}

/// Reads and checks a staff document.
pub fn read(doc: &impl ReadDoc) -> Result<Staff, DocError> {
    crate::kind::read(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name_or_label() {
        assert_eq!("客服主管".parse::<Role>().unwrap(), Role::Supervisor);
        assert_eq!("MANAGER".parse::<Role>().unwrap(), Role::Manager);
        assert!("janitor".parse::<Role>().unwrap_err().to_string().contains("front_desk"));
    }

    #[test]
    fn only_the_roles_allowed_may_take_a_guarded_step() {
        assert!(may(Some(Role::Supervisor), Guarded::Archive).is_ok());
        assert!(may(Some(Role::Manager), Guarded::Archive).is_ok());
        let refused = may(Some(Role::FrontDesk), Guarded::Archive).unwrap_err().to_string();
        assert!(refused.contains("客服主管 or 经理") && refused.contains("客服员"), "{refused}");
        assert!(may(Some(Role::Supervisor), Guarded::Decide).is_err());
        assert!(may(None, Guarded::Archive).unwrap_err().to_string().contains("wuye-agent login"));
    }
}
