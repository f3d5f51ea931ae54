namespace Agentic.Core.Tools;

/// <summary>What is wrong with a tool call that <see cref="ToolCallProtocol.Parse"/> could not read.</summary>
public enum ToolCallErrorKind
{
    /// <summary>The text between the tags is not one JSON object.</summary>
    InvalidJson,

    /// <summary>The JSON object has no <c>name</c>, or the name is not a non-blank string.</summary>
    MissingName,

    /// <summary>The <c>arguments</c> field is present but is not a JSON object (nor a string holding one).</summary>
    InvalidArguments,

    /// <summary>A <c>&lt;tool_call&gt;</c> tag is not closed before the text ends or before the next opening tag.</summary>
    UnclosedTag,

    /// <summary>A <c>&lt;/tool_call&gt;</c> tag appears without an opening tag.</summary>
    UnexpectedClosingTag,
}
