// Items, the store that keeps them, and what it takes to create one.
import * as z from "zod";

import { newId } from "../platform/ids.ts";
import { fieldErrors, integer } from "../platform/validation.ts";

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
// not ignored. The name is kept as sent, so what is checked is what is stored.
const newItemSchema = z.strictObject({
  name: z
    .string({ error: "must be a string" })
    // Counted in characters (code points), as the API documents it: zod's
    // .max counts UTF-16 units, two for an emoji.
    .refine((name) => Array.from(name).length <= MAX_NAME_LENGTH, {
      error: `must be at most ${MAX_NAME_LENGTH} characters`,
    })
    .refine((name) => !hasControlCharacter(name), {
      error: "must not contain control characters",
    })
    // Only the space makes a name blank: any other character is content
    // (tabs and newlines are control characters, refused above).
    .refine((name) => name.replaceAll(" ", "") !== "", {
      error: "must not be blank",
    }),
  price_cents: integer(0, MAX_PRICE_CENTS),
});

/** Whether `text` holds a C0 control character (U+0000 to U+001F) or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      return true;
    }
  }
  return false;
}

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
