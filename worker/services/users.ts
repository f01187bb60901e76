// People as the APIs show them.
import type { UserDto } from "../../contract/dto";
import type { users } from "../db/schema";

export type UserRow = typeof users.$inferSelect;

export const userDto = (u: UserRow): UserDto => ({ id: u.id, email: u.email, displayName: u.displayName, role: u.role, createdAt: u.createdAt });
