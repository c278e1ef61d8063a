#!/bin/sh
# Stand-in for Prisma's schema engine, which cannot be downloaded here. `prisma generate` does not need it;
# `prisma migrate` does, and chatgraph does not use it: migrations are SQL files applied by `npm run db:migrate`.
echo "chatgraph: Prisma's schema engine is not installed. Apply migrations with 'npm run db:migrate'." >&2
exit 1
