//! Items kept in memory: the store of a service without a database, and of the tests.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
};

use async_trait::async_trait;

use super::{Item, ItemStore};
use crate::store::StoreError;

/// Keeps items in a map; they live as long as the process.
#[derive(Debug, Default)]
pub struct MemoryItemStore {
    items: RwLock<HashMap<String, Item>>,
}

#[async_trait]
impl ItemStore for MemoryItemStore {
    async fn create(&self, item: &Item) -> Result<(), StoreError> {
        self.items
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(item.id.clone(), item.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Item, StoreError> {
        self.items
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }
}
