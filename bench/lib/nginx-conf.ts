/**
 * The nginx configuration of scenarios 5 (nginx alone in front of the upstream) and 6 (nginx
 * auth_request to tokengate's forward-auth endpoint), written into `dir`.
 */
export function nginxConfig(
  dir: string,
  p: { proxy: number; auth: number; upstream: number; gateway: number },
): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${p.upstream}; keepalive 64; }
  upstream tokengate { server 127.0.0.1:${p.gateway}; keepalive 64; }
  map $tokengate_outcome $app_authorization { authenticated ""; default $http_authorization; }
  # Scenario 5: nginx alone in front of the upstream.
  server {
    listen 127.0.0.1:${p.proxy};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  # Scenario 6: the forward-auth configuration of docs/forward-auth.md, with keep-alive to both.
  server {
    listen 127.0.0.1:${p.auth};
    location = /_tokengate_auth {
      internal;
      proxy_pass http://tokengate/_tokengate/auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Forwarded-Method "";
      proxy_set_header X-Forwarded-Uri "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
    location / {
      auth_request /_tokengate_auth;
      auth_request_set $tokengate_outcome $upstream_http_x_tokengate_outcome;
      auth_request_set $tokengate_user $upstream_http_x_forwarded_user;
      proxy_set_header X-Forwarded-User $tokengate_user;
      proxy_set_header Authorization $app_authorization;
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}
