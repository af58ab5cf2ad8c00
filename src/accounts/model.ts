/**
 * Back-office accounts. Accounts are not registry entries: they are written with plain mongoose
 * (never searchable, no change log), and every account event goes to the audit trail instead
 * (service.ts). Validation messages are "中文|English" pairs, like the registry models.
 */
import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';
import { DUTIES, ROLES, type Role } from './roles.js';

/** A practical e-mail shape: one @, no spaces, a dot in the domain. Not RFC 5322, on purpose. */
export const EMAIL_PATTERN = /^[^\s@<>"]{1,64}@[^\s@<>"]+\.[^\s@<>"]{2,}$/;

const userSchema = new Schema(
  {
    email: {
      type: String,
      required: [true, '请填写邮箱|email is required'],
      unique: true,
      lowercase: true,
      trim: true,
      maxlength: [254, '邮箱不能超过254个字符|email is at most 254 characters'],
      match: [EMAIL_PATTERN, '邮箱格式不正确|email is not a valid address'],
    },
    name: { type: String, trim: true, maxlength: [60, '姓名不能超过60个字符|name is at most 60 characters'], default: '' },
    role: {
      type: String,
      required: [true, '请选择角色|role is required'],
      enum: { values: [...ROLES], message: '角色必须是 admin、editor 或 viewer|role must be admin, editor or viewer' },
    },
    /** argon2id, in the PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash). */
    passwordHash: { type: String, required: true },
    disabled: { type: Boolean, default: false },
    /** Review duties (roles.ts DUTIES): which review-chain steps the account may decide. */
    duties: {
      type: [{ type: String, enum: { values: [...DUTIES], message: '职责不正确|unknown duty' } }],
      default: [],
    },
    /** Consecutive failed sign-ins since the last success or lock. */
    failedLogins: { type: Number, default: 0, min: 0 },
    lockedUntil: { type: Date, default: null },
    passwordChangedAt: { type: Date, default: () => new Date() },
    lastLoginAt: { type: Date, default: null },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'users' },
);

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: mongoose.Types.ObjectId };

export const User: Model<UserDoc> = mongoose.models.User ?? mongoose.model<UserDoc>('User', userSchema);

/** What pages and res.locals.user see of an account: never the hash. */
export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export function publicUser(u: Pick<UserDoc, '_id' | 'email' | 'name' | 'role'>): PublicUser {
  return { id: String(u._id), email: u.email, name: u.name ?? '', role: u.role };
}
