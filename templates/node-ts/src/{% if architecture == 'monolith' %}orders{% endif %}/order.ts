// Orders, the store that keeps them, and what orders need to know about items.
//
// The orders module knows items only through ItemFinder, an interface it owns,
// so the two modules can change, and one day be split, independently.
import * as z from "zod";

import { newId } from "../platform/ids.ts";
import { fieldErrors, integer } from "../platform/validation.ts";

const MAX_QUANTITY = 1000;

/** A quantity of one item, priced when it was placed. */
export interface Order {
  id: string;
  item_id: string;
  quantity: number;
  total_cents: number;
  created_at: string;
}

export class OrderNotFoundError extends Error {
  override name = "OrderNotFoundError";
}

/** Keeps orders. */
export interface OrderStore {
  create(order: Order): Promise<void>;
  /** The order with `id`; rejects with OrderNotFoundError when there is none. */
  get(id: string): Promise<Order>;
}

/** What an order needs to know about an item. */
export interface PricedItem {
  id: string;
  price_cents: number;
}

export class UnknownItemError extends Error {
  override name = "UnknownItemError";
}

/** Looks up the item an order is for. */
export interface ItemFinder {
  /** The item with `id`; rejects with UnknownItemError when there is none. */
  findItem(id: string): Promise<PricedItem>;
}

const newOrderSchema = z.strictObject({
  item_id: z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" }),
  quantity: integer(1, MAX_QUANTITY),
});

export type NewOrder = z.output<typeof newOrderSchema>;

/** The order described by a request body; an ApiError when it is invalid. */
export function parseNewOrder(body: unknown): NewOrder {
  return fieldErrors(newOrderSchema, body);
}

export function createOrder(item: PricedItem, quantity: number): Order {
  return {
    id: newId(),
    item_id: item.id,
    quantity,
    total_cents: item.price_cents * quantity,
    created_at: new Date().toISOString(),
  };
}
