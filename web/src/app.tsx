import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import type { createAppRouter, RouterContext } from "./router.tsx";

/** The providers around the router: the Connect transport and the query client of its context. */
export function App({
  router,
  context,
}: {
  router: ReturnType<typeof createAppRouter>;
  context: RouterContext;
}) {
  return (
    <TransportProvider transport={context.transport}>
      <QueryClientProvider client={context.queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </TransportProvider>
  );
}
