import mongoose from 'mongoose';

// Query filters built from user input never carry operators (mongoose ≥ 9 query-injection fix).
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
mongoose.set('autoIndex', false);

/** Connects mongoose and creates the indexes every model declares. */
export async function connectDatabase(uri: string, dbName?: string): Promise<typeof mongoose> {
  await mongoose.connect(uri, { dbName, serverSelectionTimeoutMS: 10_000 });
  await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
  return mongoose;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** Round trip to the server, for /readyz. */
export async function pingDatabase(): Promise<boolean> {
  try {
    const db = mongoose.connection.db;
    if (!db) return false;
    await db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
