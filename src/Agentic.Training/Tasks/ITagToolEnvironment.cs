using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks;

/// <summary>
/// An environment whose agent calls some tools by writing a tag in its reply (for example <c>&lt;search&gt;</c> in the
/// searchqa suite) instead of a tool call; the environment runs them itself and shows the result as the observation.
/// The results are tool results in all but name, so decorators reach them here: tool noise replaces an entry of
/// <see cref="TagTools"/> with a wrapper of it (see <c>NoisyEnvironment</c>).
/// </summary>
/// <remarks>
/// A tag tool returns the observation text as a <see cref="string"/>; a wrapper may return a JSON error instead (a failure),
/// which the environment shows as its raw JSON text.
/// </remarks>
public interface ITagToolEnvironment
{
    /// <summary>Gets the tools the environment runs for tags; replace entries only between episodes.</summary>
    IList<AIFunction> TagTools { get; }
}
