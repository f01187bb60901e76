// Fuzzing, part 3 of 3 of the route table (see fuzz.ts).
import { fuzzRoutes, ROUTE_COUNT } from "./fuzz";

const third = Math.ceil(ROUTE_COUNT / 3);
fuzzRoutes("part 3", (i) => i >= 2 * third && i < 3 * third);
