//! The SQLite database (placeholder until the store lands).

/// Placeholder.
pub struct Store;

impl Store {
    /// Placeholder.
    pub fn open(_path: &std::path::Path) -> Result<Store, std::io::Error> {
        Ok(Store)
    }
}
