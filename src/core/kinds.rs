//! Waypoint classification; see kinds table.
