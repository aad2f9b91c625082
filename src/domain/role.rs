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
    let covers = |roles: &[Role]| covers(subject, roles);
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

/// Whether one of `roles` is held over the subject's grid (an admin's everywhere).
fn covers(subject: Subject<'_>, roles: &[Role]) -> bool {
    subject.grants.iter().any(|g| {
        roles.contains(&g.role) && subject.grid_path.is_some_and(|p| g.covers(p))
            || g.role == Role::Admin && roles.contains(&Role::Admin)
    })
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

/// Who may use a command: one typed rule per command (see `engine::commands::Spec`), read
/// by the engine's checks, the help and the README's command table (a test compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone who can write to the bot.
    Anyone,
    /// Whoever can see the ticket anyway: people in its own group, its reporters, staff over
    /// its grid. Anyone else is told there is no such ticket: nothing about it leaks.
    TicketViewers,
    /// The ticket's reporter (co-reporters included).
    Reporter,
    /// The reporter, or staff who may handle the ticket.
    ReporterOrHandler,
    /// The ticket's assignee, its grid's leader and deputies, coordinators above, admins.
    Handlers,
    /// Anyone holding a staff role anywhere (their own to-do list).
    Staff,
    /// Leaders and deputies (their own leave and handover), and admins, who may do anything
    /// but rate another's ticket.
    OnDuty,
    /// A grid's leader, coordinators above it, admins.
    Supervisors,
    /// Coordinators above the grid, admins.
    Coordinators,
    Admins,
}

/// Where the grid a command is about lies from the sender's own role: the grid they hold it
/// on (or below, for a coordinator), or another grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Own,
    Other,
}

impl Who {
    /// Whether `subject` may use a command of this rule. For [`Who::TicketViewers`] the
    /// engine also lets in whoever writes in the ticket's own group, which only it knows.
    pub fn admits(self, subject: Subject<'_>) -> bool {
        let staff_over = covers(
            subject,
            &[Role::Leader, Role::Deputy, Role::Coordinator, Role::Admin],
        );
        match self {
            Who::Anyone => true,
            Who::TicketViewers => subject.is_reporter || staff_over,
            Who::Reporter => may(subject, Permission::ReporterOnly),
            Who::ReporterOrHandler => {
                may(subject, Permission::ReporterOnly) || may(subject, Permission::Handle)
            }
            Who::Handlers => may(subject, Permission::Handle),
            Who::Staff => is_staff_anywhere(subject.grants),
            Who::OnDuty => subject
                .grants
                .iter()
                .any(|g| matches!(g.role, Role::Leader | Role::Deputy | Role::Admin)),
            Who::Supervisors => may(subject, Permission::Supervise),
            // Supervision (督办) is the coordinators' and admins'; a leader does not urge
            // themselves.
            Who::Coordinators => covers(subject, &[Role::Coordinator, Role::Admin]),
            Who::Admins => may(subject, Permission::Administer),
        }
    }

    /// The permission table: whether someone whose most senior role is `role` may use a command
    /// of this rule on a grid at `reach`, when they are neither the ticket's reporter nor its
    /// assignee (those relations only ever add to it). For commands about no grid (`/my`,
    /// `/list`, `/overdue`, `/leave`) `reach` does not matter.
    pub fn allows(self, role: Role, reach: Reach) -> bool {
        let own = reach == Reach::Own;
        match self {
            Who::Anyone => true,
            Who::TicketViewers => own || role == Role::Admin,
            Who::Reporter => false,
            Who::ReporterOrHandler | Who::Handlers => match role {
                Role::Resident => false,
                Role::Leader | Role::Deputy | Role::Coordinator => own,
                Role::Admin => true,
            },
            Who::Staff => role.is_staff(),
            Who::OnDuty => matches!(role, Role::Leader | Role::Deputy | Role::Admin),
            Who::Supervisors => match role {
                Role::Resident | Role::Deputy => false,
                Role::Leader | Role::Coordinator => own,
                Role::Admin => true,
            },
            Who::Coordinators => match role {
                Role::Coordinator => own,
                Role::Admin => true,
                _ => false,
            },
            Who::Admins => role == Role::Admin,
        }
    }

    /// The rule as the README's command table words it.
    pub fn describe(self) -> &'static str {
        match self {
            Who::Anyone => "anyone",
            Who::TicketViewers => "the ticket's group, reporter and staff over its grid",
            Who::Reporter => "reporter",
            Who::ReporterOrHandler => "reporter; staff who may handle it",
            Who::Handlers => {
                "assignee, leader and deputy (own grid), coordinator (own subtree), admin"
            }
            Who::Staff => "leader, deputy, coordinator, admin",
            Who::OnDuty => "leader, deputy, admin",
            Who::Supervisors => "leader (own grid), coordinator (own subtree), admin",
            Who::Coordinators => "coordinator (own subtree), admin",
            Who::Admins => "admin",
        }
    }
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

    /// The table ([`Who::allows`]) and the check ([`Who::admits`]) agree for every rule and
    /// role, on the grid the role is held on and on another, for someone who neither reported
    /// nor holds the ticket.
    #[test]
    fn the_permission_table_is_what_is_checked() {
        let rules = [
            Who::Anyone,
            Who::TicketViewers,
            Who::Reporter,
            Who::ReporterOrHandler,
            Who::Handlers,
            Who::Staff,
            Who::OnDuty,
            Who::Supervisors,
            Who::Coordinators,
            Who::Admins,
        ];
        let own_grid = "/T1/V1/G1/";
        let other_grid = "/T1/V2/G3/";
        for role in Role::ALL {
            let grants: Vec<Grant> = match role {
                Role::Resident => Vec::new(),
                Role::Leader | Role::Deputy => vec![grant(role, Some(own_grid))],
                Role::Coordinator => vec![grant(role, Some("/T1/V1/"))],
                Role::Admin => vec![grant(role, None)],
            };
            for (reach, path) in [(Reach::Own, own_grid), (Reach::Other, other_grid)] {
                let subject = Subject {
                    grants: &grants,
                    grid_path: Some(path),
                    is_reporter: false,
                    is_assignee: false,
                };
                for who in rules {
                    let own_group = who == Who::TicketViewers && reach == Reach::Own;
                    assert_eq!(
                        who.admits(subject) || own_group,
                        who.allows(role, reach),
                        "{who:?} {role:?} {reach:?}"
                    );
                }
            }
        }
    }
}
