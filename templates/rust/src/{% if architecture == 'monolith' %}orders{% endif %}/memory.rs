//! Orders kept in memory: the store of a service without a database, and of the tests.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
};

use async_trait::async_trait;

use super::{Order, OrderStore};
use crate::store::StoreError;

/// Keeps orders in a map; they live as long as the process.
#[derive(Debug, Default)]
pub struct MemoryOrderStore {
    orders: RwLock<HashMap<String, Order>>,
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn create(&self, order: &Order) -> Result<(), StoreError> {
        self.orders
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(order.id.clone(), order.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Order, StoreError> {
        self.orders
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }
}
