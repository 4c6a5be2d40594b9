-- Argo CD health check for gateway.networking.k8s.io/HTTPRoute, written against the
-- status Turnpike writes (docs/argocd.md explains every rule). It judges only the
-- status.parents entries of controllerName below: other controllers' entries may be
-- left behind by a controller that is gone, and are theirs to judge.
-- First match wins:
--   1. Being deleted                                        -> Progressing
--   2. No parent entry of ours, none of anyone's            -> Progressing
--      No parent entry of ours, other controllers' only     -> Healthy (not ours)
--   3. An entry of ours describes an older generation      -> Progressing
--   4. An entry of ours with Accepted missing or Unknown   -> Progressing
--   5. An entry of ours with Accepted=False or
--      ResolvedRefs=False                                  -> Degraded
--   6. Otherwise                                           -> Healthy
-- Argo CD runs this with only the base and table libraries (no string.*).
-- If Turnpike runs with another --controller-name, change this line to match.
local controllerName = "turnpike.dev/gateway-controller"
local hs = {}
local maxListed = 3

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function messageOf(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return condition.type .. " is " .. condition.status .. " (" .. (condition.reason or "no reason") .. ")."
end

-- staleCondition returns the first condition written for an older generation. A
-- condition without observedGeneration cannot be judged and is taken as current.
local function staleCondition(conditions, generation)
  if conditions == nil or generation == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.observedGeneration ~= nil and condition.observedGeneration < generation then
      return condition
    end
  end
  return nil
end

-- parentName names a parentRef the way Turnpike's messages do: Kind namespace/name,
-- and the listener when the ref names one.
local function parentName(ref, routeNamespace)
  local name = (ref.kind or "Gateway") .. " " .. (ref.namespace or routeNamespace or "") .. "/" .. (ref.name or "")
  if ref.sectionName ~= nil then
    name = name .. ' listener "' .. ref.sectionName .. '"'
  end
  if ref.port ~= nil then
    name = name .. " port " .. ref.port
  end
  return name
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "The HTTPRoute is being deleted."
  return hs
end

local generation = obj.metadata.generation
local allParents = (obj.status or {}).parents or {}
local ours = {}
for _, parent in ipairs(allParents) do
  if parent.controllerName == controllerName then
    table.insert(ours, parent)
  end
end

if #ours == 0 then
  if #allParents == 0 then
    hs.status = "Progressing"
    hs.message = "No Gateway controller has reported on this route yet; check that its parentRefs name existing Gateways."
  else
    hs.status = "Healthy"
    hs.message = "No parent of this route is served by " .. controllerName .. "; other controllers' status is not judged here."
  end
  return hs
end

for _, parent in ipairs(ours) do
  local stale = staleCondition(parent.conditions, generation)
  if stale ~= nil then
    hs.status = "Progressing"
    hs.message = "Waiting for Turnpike to process generation " .. generation .. " for "
      .. parentName(parent.parentRef or {}, obj.metadata.namespace)
      .. "; the status describes generation " .. stale.observedGeneration .. "."
    return hs
  end
  local accepted = findCondition(parent.conditions, "Accepted")
  if accepted == nil or accepted.status == "Unknown" then
    hs.status = "Progressing"
    hs.message = "Waiting for " .. parentName(parent.parentRef or {}, obj.metadata.namespace) .. " to accept the route."
    return hs
  end
end

local described = {}
local count = 0
for _, parent in ipairs(ours) do
  local problem = nil
  local accepted = findCondition(parent.conditions, "Accepted")
  local resolvedRefs = findCondition(parent.conditions, "ResolvedRefs")
  if accepted.status == "False" then
    problem = accepted
  elseif resolvedRefs ~= nil and resolvedRefs.status == "False" then
    problem = resolvedRefs
  end
  if problem ~= nil then
    count = count + 1
    if count <= maxListed then
      table.insert(described, parentName(parent.parentRef or {}, obj.metadata.namespace) .. ": " .. messageOf(problem))
    end
  end
end
if count > 0 then
  if count == maxListed + 1 then
    table.insert(described, "And 1 more parent.")
  elseif count > maxListed then
    table.insert(described, "And " .. (count - maxListed) .. " more parents.")
  end
  hs.status = "Degraded"
  hs.message = table.concat(described, " ")
  return hs
end

hs.status = "Healthy"
if #ours == 1 then
  hs.message = messageOf(findCondition(ours[1].conditions, "Accepted"))
else
  hs.message = "All " .. #ours .. " parents served by Turnpike accept the route."
end
return hs
