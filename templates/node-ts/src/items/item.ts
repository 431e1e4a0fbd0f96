// Items, the store that keeps them, and what it takes to create one.
import * as z from "zod";

import { newId } from "../platform/ids.ts";
import { fieldErrors } from "../platform/validation.ts";

const MAX_NAME_LENGTH = 200;
// Keeps order totals far from any integer overflow in the clients.
const MAX_PRICE_CENTS = 1_000_000_000;

/** Something that can be sold, as the API shows it. */
export interface Item {
  id: string;
  name: string;
  price_cents: number;
  created_at: string;
}

export class ItemNotFoundError extends Error {
  override name = "ItemNotFoundError";
}

/** Keeps items. */
export interface ItemStore {
  create(item: Item): Promise<void>;
  /** The item with `id`; rejects with ItemNotFoundError when there is none. */
  get(id: string): Promise<Item>;
}

// Strict: "12" is no price, and a field the API does not know is an error,
// not ignored.
const newItemSchema = z.strictObject({
  name: z
    .string({ error: "must be a string" })
    .trim()
    .min(1, { error: "must not be blank" })
    .max(MAX_NAME_LENGTH, {
      error: `must be at most ${MAX_NAME_LENGTH} characters`,
    }),
  price_cents: z
    .int({ error: "must be an integer" })
    .min(0, { error: `must be between 0 and ${MAX_PRICE_CENTS}` })
    .max(MAX_PRICE_CENTS, {
      error: `must be between 0 and ${MAX_PRICE_CENTS}`,
    }),
});

export type NewItem = z.output<typeof newItemSchema>;

/** The item described by a request body; an ApiError when it is invalid. */
export function parseNewItem(body: unknown): NewItem {
  return fieldErrors(newItemSchema, body);
}

export function createItem(input: NewItem): Item {
  return {
    id: newId(),
    name: input.name,
    price_cents: input.price_cents,
    created_at: new Date().toISOString(),
  };
}
