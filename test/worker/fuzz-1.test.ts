// Fuzzing, part 1 of 3 of the route table (see fuzz.ts).
import { fuzzRoutes, ROUTE_COUNT } from "./fuzz";

const third = Math.ceil(ROUTE_COUNT / 3);
fuzzRoutes("part 1", (i) => i < 1 * third);
