//! Who may do what. Roles are granted on a grid; a coordinator's grant covers the grid's subtree.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::UnknownValue;

/// A person's role (居民 / 网格长 / 副网格长 / 协调员 / 管理员).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Resident,
    Leader,
    Deputy,
    Coordinator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Resident,
        Role::Leader,
        Role::Deputy,
        Role::Coordinator,
        Role::Admin,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Leader => "leader",
            Role::Deputy => "deputy",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    /// Staff messages are parsed as requests only in explicit form.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Resident)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "resident" | "居民" => Ok(Role::Resident),
            "leader" | "网格长" => Ok(Role::Leader),
            "deputy" | "副网格长" => Ok(Role::Deputy),
            "coordinator" | "协调员" => Ok(Role::Coordinator),
            "admin" | "管理员" => Ok(Role::Admin),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

/// A role held on a grid. `grid_path` is the materialised path of the grid (`/T01/T01-V01/`);
/// an admin grant has none and covers everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub grid_path: Option<String>,
}

impl Grant {
    /// Does this grant reach a ticket or group on `grid_path`?
    pub fn covers(&self, grid_path: &str) -> bool {
        match (self.role, &self.grid_path) {
            (Role::Admin, _) => true,
            (Role::Coordinator, Some(root)) => grid_path.starts_with(root.as_str()),
            (Role::Leader | Role::Deputy, Some(own)) => own == grid_path,
            _ => false,
        }
    }
}

/// What a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Open a ticket, look at one's own: anyone.
    Report,
    /// Rate or cancel: the reporter (or staff covering the grid, for cancel).
    ReporterOnly,
    /// Claim, note, resolve, transfer, dismiss: the grid's leader and deputies, the assignee,
    /// coordinators above, admins.
    Handle,
    /// Statistics, overdue lists, supervision: coordinators over the grid, admins, and a
    /// leader for their own grid.
    Supervise,
    /// Bind groups, set roles: admins.
    Administer,
}

/// The facts about one sender and one target that a permission check needs.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub grants: &'a [Grant],
    /// The grid the command is about (the ticket's grid, or the group's).
    pub grid_path: Option<&'a str>,
    pub is_reporter: bool,
    pub is_assignee: bool,
}

/// Whether `subject` may act with `permission`. Pure; the caller turns `false` into a refusal.
pub fn may(subject: Subject<'_>, permission: Permission) -> bool {
    let covers = |roles: &[Role]| {
        subject.grants.iter().any(|g| {
            roles.contains(&g.role) && subject.grid_path.is_some_and(|p| g.covers(p))
                || g.role == Role::Admin && roles.contains(&Role::Admin)
        })
    };
    match permission {
        Permission::Report => true,
        Permission::ReporterOnly => subject.is_reporter,
        Permission::Handle => {
            subject.is_assignee
                || covers(&[Role::Leader, Role::Deputy, Role::Coordinator, Role::Admin])
        }
        Permission::Supervise => covers(&[Role::Leader, Role::Coordinator, Role::Admin]),
        Permission::Administer => covers(&[Role::Admin]),
    }
}

/// The most senior role a sender holds over `grid_path` (resident when none).
pub fn standing(grants: &[Grant], grid_path: Option<&str>) -> Role {
    grants
        .iter()
        .filter(|g| g.role == Role::Admin || grid_path.is_some_and(|p| g.covers(p)))
        .map(|g| g.role)
        .max()
        .unwrap_or(Role::Resident)
}

/// Whether a sender holds any staff role anywhere (for private chats, which have no grid).
pub fn is_staff_anywhere(grants: &[Grant]) -> bool {
    grants.iter().any(|g| g.role.is_staff())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, path: Option<&str>) -> Grant {
        Grant {
            role,
            grid_path: path.map(str::to_string),
        }
    }

    const GRID: &str = "/T1/V1/G1/";

    #[test]
    fn permissions_table() {
        let leader = [grant(Role::Leader, Some(GRID))];
        let other_leader = [grant(Role::Leader, Some("/T1/V1/G2/"))];
        let deputy = [grant(Role::Deputy, Some(GRID))];
        let village = [grant(Role::Coordinator, Some("/T1/V1/"))];
        let other_village = [grant(Role::Coordinator, Some("/T1/V2/"))];
        let admin = [grant(Role::Admin, None)];
        let resident: [Grant; 0] = [];
        use Permission::*;
        // (grants, is_reporter, is_assignee, permission, expected)
        let cases: &[(&[Grant], bool, bool, Permission, bool)] = &[
            (&resident, false, false, Report, true),
            (&resident, true, false, ReporterOnly, true),
            (&resident, false, false, ReporterOnly, false),
            (&resident, true, false, Handle, false),
            (&resident, false, false, Supervise, false),
            (&resident, false, false, Administer, false),
            (&leader, false, false, Handle, true),
            (&leader, false, false, Supervise, true),
            (&leader, false, false, Administer, false),
            (&leader, false, false, ReporterOnly, false),
            (&other_leader, false, false, Handle, false),
            (&other_leader, false, true, Handle, true),
            (&other_leader, false, false, Supervise, false),
            (&deputy, false, false, Handle, true),
            (&deputy, false, false, Supervise, false),
            (&village, false, false, Handle, true),
            (&village, false, false, Supervise, true),
            (&village, false, false, Administer, false),
            (&other_village, false, false, Handle, false),
            (&other_village, false, false, Supervise, false),
            (&admin, false, false, Handle, true),
            (&admin, false, false, Supervise, true),
            (&admin, false, false, Administer, true),
        ];
        for (i, (grants, is_reporter, is_assignee, perm, want)) in cases.iter().enumerate() {
            let subject = Subject {
                grants,
                grid_path: Some(GRID),
                is_reporter: *is_reporter,
                is_assignee: *is_assignee,
            };
            assert_eq!(may(subject, *perm), *want, "case {i}: {perm:?}");
        }
    }

    #[test]
    fn admin_needs_no_grid() {
        let admin = [grant(Role::Admin, None)];
        let subject = Subject {
            grants: &admin,
            grid_path: None,
            is_reporter: false,
            is_assignee: false,
        };
        assert!(may(subject, Permission::Administer));
        assert!(may(subject, Permission::Supervise));
    }

    #[test]
    fn standing_picks_the_most_senior_covering_role() {
        let grants = [
            grant(Role::Deputy, Some(GRID)),
            grant(Role::Coordinator, Some("/T1/V2/")),
        ];
        assert_eq!(standing(&grants, Some(GRID)), Role::Deputy);
        assert_eq!(standing(&grants, Some("/T1/V2/G9/")), Role::Coordinator);
        assert_eq!(standing(&grants, Some("/T2/")), Role::Resident);
        assert_eq!(standing(&[], Some(GRID)), Role::Resident);
    }

    #[test]
    fn roles_parse_in_both_languages() {
        assert_eq!("网格长".parse::<Role>(), Ok(Role::Leader));
        assert_eq!("coordinator".parse::<Role>(), Ok(Role::Coordinator));
        assert!("boss".parse::<Role>().is_err());
    }
}
