// Fuzzing, part 2 of 3 of the route table (see fuzz.ts).
import { fuzzRoutes, ROUTE_COUNT } from "./fuzz";

const third = Math.ceil(ROUTE_COUNT / 3);
fuzzRoutes("part 2", (i) => i >= 1 * third && i < 2 * third);
